"""Model instances from hand-written SQL, for the few hot paths where compiling an ORM
query costs more than running it (a gate scan: bench/README.md, "Gates").

Values are converted exactly as the ORM converts them (a date is a date on SQLite too),
and the fields a query does not read are deferred: touching one loads it from the
database instead of giving a wrong default.
"""

from django.db import connections
from django.db.models import Model


class RowReader:
    """Reads `fields` of `model` from a slice of a result row into a model instance."""

    def __init__(self, model: type[Model], fields: list[str] | None = None):
        concrete = model._meta.concrete_fields
        wanted = set(fields) if fields is not None else {f.name for f in concrete}
        # Model.from_db takes the values in the order of the model's concrete fields.
        self.model = model
        self.fields = [f for f in concrete if f.name in wanted or f.attname in wanted]
        self.attnames = [f.attname for f in self.fields]
        self._converters: dict[str, list] = {}  # per database vendor

    def __len__(self) -> int:
        return len(self.fields)

    def select(self, alias: str) -> str:
        """The SELECT list of these fields, for the table named `alias` in the query."""
        ops = connections["default"].ops
        return ", ".join(f"{alias}.{ops.quote_name(f.column)}" for f in self.fields)

    def read(self, values, using: str = "default") -> Model:
        connection = connections[using]
        converters = self._converters.get(connection.vendor)
        if converters is None:
            converters = self._converters[connection.vendor] = self._find_converters(connection)
        if converters:
            values = list(values)
            for index, col, functions in converters:
                for function in functions:
                    values[index] = function(values[index], col, connection)
        return self.model.from_db(using, self.attnames, values)

    def _find_converters(self, connection) -> list:
        """(index, column, converters) of the fields whose raw value needs converting,
        found as the ORM's compiler finds them."""
        found = []
        for index, field in enumerate(self.fields):
            col = field.get_col(field.model._meta.db_table)
            functions = connection.ops.get_db_converters(col) + col.get_db_converters(connection)
            if functions:
                found.append((index, col, functions))
        return found
