"""The DuckDB warehouse: schema migrations, connection, loading and views."""
