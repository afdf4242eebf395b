from django.contrib.postgres.operations import AddIndexConcurrently
from django.db import migrations, models


class Migration(migrations.Migration):
    # Built without locking the table against writes.
    atomic = False

    dependencies = [
        ('patients', '0010_name_order_index_with_voided'),
    ]

    operations = [
        AddIndexConcurrently(
            model_name='patient',
            index=models.Index(condition=models.Q(('voided_at__isnull', False)), fields=['id'], name='patient_voided_idx'),
        ),
    ]
