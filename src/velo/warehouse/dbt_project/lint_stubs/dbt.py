"""sqlfluff's jinja templater stand-ins for dbt's cross-database macros (``dbt.<macro>``).

Only for linting: a call renders ``coalesce(<its SQL arguments>)`` (date parts and numbers
dropped), so sqlfluff still sees every column the model references; dbt tests the real macros.
"""

DATE_PARTS = {"year", "quarter", "month", "week", "day", "hour", "minute", "second"}


def expressions(args):
    """The SQL expressions among a macro's arguments (lists flattened)."""
    found = []
    for arg in args:
        if isinstance(arg, (list, tuple)):
            found += expressions(arg)
        elif isinstance(arg, str) and arg.strip("'\" ") not in DATE_PARTS:
            found.append(arg)
    return found


def as_expression(*args, **kwargs):
    found = expressions(args)
    return f"coalesce({', '.join(found)})" if found else "null"


def date_spine(*args, **kwargs):
    return "select cast('2000-01-01' as date) as date_day"


def __getattr__(name):
    if name.startswith("type_"):
        return lambda *args, **kwargs: "varchar"
    return as_expression
