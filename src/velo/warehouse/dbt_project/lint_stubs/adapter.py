"""sqlfluff's jinja templater stand-in for dbt's ``adapter`` (linting only): ``dispatch`` returns
a stand-in of the dispatched macro that renders the SQL shape the models embed, so sqlfluff
still checks the model around it; dbt runs the real macros."""


def differs_from_built(relation, key, columns, window=False):
    return (
        f"left join built on {relation}.{key} = built.{key}\n"
        f"    where built.{key} is null or {relation}.{columns[0]} is distinct from built.{columns[0]}"
    )


STAND_INS = {"differs_from_built": differs_from_built}


def dispatch(macro_name, macro_namespace=None):
    return STAND_INS[macro_name]
