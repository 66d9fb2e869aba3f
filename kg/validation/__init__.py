"""The validate stage: SHACL shapes and check queries."""
