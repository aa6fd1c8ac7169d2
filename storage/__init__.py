"""What dondoc keeps in its own database: the SQLAlchemy models and the code that reads and
writes them. Activities, services and the CLI import it; it imports none of them."""
