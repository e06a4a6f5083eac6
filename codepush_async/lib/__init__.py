"""Automation wings built on the public client only: fleets (``cp.bulk``) and staged rollouts."""
