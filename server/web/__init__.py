"""Blueprints, one per audience: addin_api (the check API), meta (health, index)."""
