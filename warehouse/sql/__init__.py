"""The warehouse schema: numbered migrations (NNN_name.sql) and views (views*.sql), package data."""
