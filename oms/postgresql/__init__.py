"""PostgreSQL database backend: Django's, with a health check that needs no round trip."""
