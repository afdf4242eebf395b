from django.db import migrations

# pg_trgm declares its match operators as cheap as an integer comparison (cost 1), so
# with a few thousand likely matches the planner prefers to compute trigram similarity
# for every one of 100,000 patients over using the trigram index. Comparing trigram sets
# is in truth about a hundred times the work: say so, and the index is used.
OPERATOR_FUNCTIONS = [
    "similarity_op(text, text)",
    "word_similarity_op(text, text)",
    "word_similarity_commutator_op(text, text)",
]


class Migration(migrations.Migration):
    dependencies = [("patients", "0002_search_indexes_and_void_permission")]

    operations = [
        migrations.RunSQL(
            [f"ALTER FUNCTION {fn} COST 100" for fn in OPERATOR_FUNCTIONS],
            reverse_sql=[f"ALTER FUNCTION {fn} COST 1" for fn in OPERATOR_FUNCTIONS],
        )
    ]
