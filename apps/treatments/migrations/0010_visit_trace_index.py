from django.contrib.postgres.operations import AddIndexConcurrently
from django.db import migrations, models


class Migration(migrations.Migration):
    # Built without locking the visit table against writes.
    atomic = False

    dependencies = [
        ('treatments', '0009_database_defaults_for_bulk_loads'),
    ]

    operations = [
        AddIndexConcurrently(
            model_name='visit',
            index=models.Index(fields=['id'], include=('visited_at', 'voided_at', 'patient'), name='visit_trace_idx'),
        ),
    ]
