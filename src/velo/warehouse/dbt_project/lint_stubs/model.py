"""sqlfluff's jinja templater stand-in for dbt's ``model`` (the node being compiled), linting
only: ``model.columns`` names one column, so a macro looping over a model's contract columns
renders one comparison for sqlfluff to check."""

columns = {"contract_column": {}}
