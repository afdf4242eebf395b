from django.contrib.postgres.operations import AddIndexConcurrently, RemoveIndexConcurrently
from django.db import migrations, models


class Migration(migrations.Migration):
    # The patient list "with voided patients" sorted all 100,000 patients for each page:
    # the name-order index was partial (current patients only). One index for both lists,
    # built and dropped without locking the patient table against writes.
    atomic = False

    dependencies = [
        ('patients', '0009_name_one_edit_index'),
    ]

    operations = [
        AddIndexConcurrently(
            model_name='patient',
            index=models.Index(fields=['last_name', 'first_name', 'id'], name='patient_by_name_idx'),
        ),
        RemoveIndexConcurrently(
            model_name='patient',
            name='patient_current_by_name_idx',
        ),
    ]
