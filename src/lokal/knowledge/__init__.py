"""Knowledge bases: extract → chunk → embed → index → retrieve → answer, over the user's own files."""
