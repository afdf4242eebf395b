"""pgcrypto's hmac(): de-identified exports compute each patient's pseudonymous
reference inside the COPY that writes them, at the speed of the database."""

from django.contrib.postgres.operations import CryptoExtension
from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("reports", "0001_initial")]

    operations = [CryptoExtension()]
