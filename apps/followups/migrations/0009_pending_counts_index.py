from django.contrib.postgres.operations import AddIndexConcurrently
from django.db import migrations, models


class Migration(migrations.Migration):
    # Built without locking the table against writes.
    atomic = False

    dependencies = [
        ('followups', '0008_failed_delivery_index'),
        ('patients', '0011_voided_index'),
    ]

    operations = [
        AddIndexConcurrently(
            model_name='followup',
            index=models.Index(condition=models.Q(('status', 'pending')), fields=['due_on', 'channel', 'reminder_state', 'patient'], name='followup_pending_counts_idx'),
        ),
    ]
