"""The SQL store adapter: schema, migrations, engine and session helpers."""
