"""The pipeline's stages, one job each; ``seawall.pipeline`` runs them in order."""
