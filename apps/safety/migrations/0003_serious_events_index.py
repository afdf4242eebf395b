from django.contrib.postgres.operations import AddIndexConcurrently
from django.db import migrations, models


class Migration(migrations.Migration):
    # Built without locking out writes on a clinic's large table.
    atomic = False

    dependencies = [
        ('safety', '0002_newest_first_index'),
    ]

    operations = [
        AddIndexConcurrently(
            model_name='adverseevent',
            index=models.Index(condition=models.Q(('voided_at__isnull', True), models.Q(('seriousness', []), _negated=True)), fields=['-onset_date', '-id'], name='ae_serious_idx'),
        ),
    ]
