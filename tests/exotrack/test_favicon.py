from django.conf import settings
from django.test import Client


def test_the_favicon_is_served_from_the_static_files(db):
    response = Client().get("/favicon.ico")

    assert response.status_code == 301
    assert response["Location"] == "/static/exotrack/favicon.svg"
    assert Client().get(response["Location"]).status_code == 200


def test_the_mailbox_of_make_run_is_the_absolute_var_mail_folder():
    # An absolute folder must stay absolute, wherever the command is run from.
    assert str(settings.VAR_DIR / "mail") == settings.EMAIL_FILE_PATH
