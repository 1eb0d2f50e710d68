"""Input sources: official DVCQG results, dossier-level exports, and the sample province."""
