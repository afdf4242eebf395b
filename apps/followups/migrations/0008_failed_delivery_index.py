from django.contrib.postgres.operations import AddIndexConcurrently
from django.db import migrations, models


class Migration(migrations.Migration):
    # Built without locking the follow-ups against the reminder senders' writes.
    atomic = False

    dependencies = [
        ('followups', '0007_reminder_delivery_history'),
    ]

    operations = [
        AddIndexConcurrently(
            model_name='followup',
            index=models.Index(condition=models.Q(('reminder_state', 'failed'), ('status', 'pending')), fields=['due_on', 'id'], name='followup_failed_delivery_idx'),
        ),
    ]
