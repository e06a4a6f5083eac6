"""Building a release: package contents, zip, multipart body, progress, hashing, integrity,
signing."""
