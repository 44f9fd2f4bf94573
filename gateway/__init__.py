"""The nginx gateway: routing table, config template, renderer and nginx process helpers."""
