"""Storage behind one door: the only package that speaks SQLAlchemy. Tables, the UTC datetime
column type, the unit of work (gateway.storage.uow) and its repositories."""
