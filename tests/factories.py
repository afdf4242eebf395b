"""Shared test data builders. Every test makes its own rows through these."""

import factory
from django.contrib.auth.models import Group

from apps.accounts.models import User
from apps.clinic.models import ClinicProfile, Location

PASSWORD = "correct-horse-battery-staple"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"staff{n}")
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    email = factory.LazyAttribute(lambda u: f"{u.username}@clinic.test")
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def role(self, create, extracted, **kwargs):
        if extracted:
            self.groups.add(Group.objects.get(name=extracted))
        if create:
            self.save()


class LocationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Location
        django_get_or_create = ("name",)

    name = factory.Sequence(lambda n: f"Room {n}")


class ClinicProfileFactory(factory.django.DjangoModelFactory):
    """The clinic's one profile row (pk 1). Building it again updates that row, as
    editing the clinic profile does, instead of failing on the singleton constraint."""

    class Meta:
        model = ClinicProfile

    name = "Harbour Clinic"

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        profile, _ = model_class.objects.update_or_create(pk=1, defaults=kwargs)
        return profile


# --- Clinical records -------------------------------------------------------------

import datetime  # noqa: E402
from decimal import Decimal  # noqa: E402

from django.utils import timezone  # noqa: E402

from apps.inventory.models import Lot, Manufacturer, Product, StockMovement  # noqa: E402
from apps.patients.models import Medication, MedicationClass, Patient  # noqa: E402
from apps.treatments.models import Dose, Route, TreatmentSite, Visit  # noqa: E402


class MedicationClassFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = MedicationClass
        django_get_or_create = ("code",)

    code = "antihypertensive"
    name = factory.LazyAttribute(lambda o: o.code.replace("_", " ").capitalize())
    watched = True


class PatientFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Patient

    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    date_of_birth = factory.Faker("date_of_birth", minimum_age=25, maximum_age=85)
    sex = Patient.Sex.FEMALE
    # The sequence number keeps two patients of the same name apart: reminder tests count the
    # messages each address received.
    email = factory.LazyAttributeSequence(
        lambda p, n: f"{p.first_name}.{p.last_name}.{n}@example.com".lower()
    )
    phone = "+1 555 0100"
    email_consent = True


class MedicationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Medication

    patient = factory.SubFactory(PatientFactory)
    name = "Lisinopril"
    medication_class = factory.SubFactory(MedicationClassFactory)
    dose_text = "10 mg daily"


class ManufacturerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Manufacturer
        django_get_or_create = ("name",)

    name = "Kimera Labs"


class ProductFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Product

    manufacturer = factory.SubFactory(ManufacturerFactory)
    name = factory.Sequence(lambda n: f"XoGlo {n}")
    gtin = factory.Sequence(lambda n: f"0950600013{n:04d}")
    regulatory_status = "Investigational (IND 012345)"


class LotFactory(factory.django.DjangoModelFactory):
    """A lot with its 'received' movement, so stock on hand equals vials_received."""

    class Meta:
        model = Lot
        skip_postgeneration_save = True

    product = factory.SubFactory(ProductFactory)
    lot_number = factory.Sequence(lambda n: f"L{n:05d}")
    expiry_date = factory.LazyFunction(lambda: timezone.localdate() + datetime.timedelta(days=365))
    received_on = factory.LazyFunction(lambda: timezone.localdate() - datetime.timedelta(days=30))
    vials_received = 20
    labelled_billions_per_vial = Decimal("5.00")

    @factory.post_generation
    def stock(self, create, extracted, **kwargs):
        if create:
            StockMovement.objects.create(lot=self, kind="received", vials=self.vials_received)
            self.refresh_from_db(fields=["vials_on_hand"])


class TreatmentSiteFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = TreatmentSite
        django_get_or_create = ("name",)

    name = "Knee"
    category = TreatmentSite.Category.JOINT
    dose_min_billions = Decimal("3")
    dose_max_billions = Decimal("5")
    default_route = Route.INTRA_ARTICULAR
    laterality_applies = True


class VisitFactory(factory.django.DjangoModelFactory):
    """A bare visit row. Tests of recording rules go through the visit service."""

    class Meta:
        model = Visit

    patient = factory.SubFactory(PatientFactory)
    visited_at = factory.LazyFunction(lambda: timezone.now() - datetime.timedelta(days=1))
    location = factory.SubFactory(LocationFactory)
    clinician = factory.SubFactory(UserFactory, role="clinician")
    indication = "Knee osteoarthritis"
    consent_recorded = True
    consent_form_version = "v3"


class DoseFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Dose

    visit = factory.SubFactory(VisitFactory)
    site = factory.SubFactory(TreatmentSiteFactory)
    laterality = "left"
    lot = factory.SubFactory(LotFactory)
    billions = Decimal("4")
    route = Route.INTRA_ARTICULAR


from apps.followups.models import Channel, FollowUp, FollowUpRule, Kind  # noqa: E402
from apps.outcomes.models import OutcomeAssessment, Timepoint  # noqa: E402
from apps.safety.models import AdverseEvent, AdverseEventType, MedicationFlag  # noqa: E402


class AdverseEventTypeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = AdverseEventType
        django_get_or_create = ("code",)

    code = "cold_sore"
    name = "Cold sore / HSV reactivation"
    expected_one_in = 20
    exposure = AdverseEventType.Exposure.VISIT


class AdverseEventFactory(factory.django.DjangoModelFactory):
    """A bare event row linked to one dose. Rule tests go through the safety services."""

    class Meta:
        model = AdverseEvent
        skip_postgeneration_save = True

    visit = factory.SubFactory(VisitFactory)
    patient = factory.LazyAttribute(lambda o: o.visit.patient)
    event_type = factory.SubFactory(AdverseEventTypeFactory)
    onset_date = factory.LazyAttribute(lambda o: timezone.localdate(o.visit.visited_at))
    grade = 1

    @factory.post_generation
    def doses(self, create, extracted, **kwargs):
        if create:
            self.doses.set(extracted if extracted is not None else self.visit.doses.all())


class MedicationFlagFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = MedicationFlag

    medication = factory.SubFactory(MedicationFactory)
    patient = factory.LazyAttribute(lambda o: o.medication.patient)
    medication_class = factory.LazyAttribute(lambda o: o.medication.medication_class)
    source = MedicationFlag.Source.MANUAL
    reason = "Review after treatment"
    review_by = factory.LazyFunction(lambda: timezone.localdate() + datetime.timedelta(days=14))


class FollowUpRuleFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = FollowUpRule
        django_get_or_create = ("code",)

    code = "check_in_day_3"
    name = "Day-3 infection check"
    kind = Kind.CHECK_IN
    offset_days = 3
    channel = Channel.EMAIL
    template = "check_in"


class FollowUpFactory(factory.django.DjangoModelFactory):
    """A bare follow-up row. Scheduling rules go through the follow-up services."""

    class Meta:
        model = FollowUp

    visit = factory.SubFactory(VisitFactory)
    patient = factory.LazyAttribute(lambda o: o.visit.patient if o.visit else None)
    kind = Kind.CHECK_IN
    channel = Channel.EMAIL
    due_on = factory.LazyFunction(timezone.localdate)


class OutcomeAssessmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = OutcomeAssessment

    dose = factory.SubFactory(DoseFactory)
    assessed_on = factory.LazyAttribute(
        lambda o: timezone.localdate(o.dose.visit.visited_at) + datetime.timedelta(days=42)
    )
    timepoint = Timepoint.WEEK_6
    pain = 3
