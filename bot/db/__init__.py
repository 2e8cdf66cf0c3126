"""The database layer: typed ORM models, async engine, migrations and schema checks."""
