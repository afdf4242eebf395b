from django.contrib import admin

from apps.clinic.models import ClinicProfile, Location

admin.site.register(ClinicProfile)
admin.site.register(Location)
