"""Tables of the notifications database (SQLAlchemy Core) and how to run statements on psycopg cursors."""
