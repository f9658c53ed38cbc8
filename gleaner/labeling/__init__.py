"""Annotation sources and how their votes become one label."""
