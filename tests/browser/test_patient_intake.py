"""The patient's online intake in a real browser (issue 7, journey 2).

A patient opens the link from the clinic on a phone, fills in every step, makes a
mistake and fixes it, leaves and comes back, and sends the form; a second patient
does it all with the keyboard alone. axe-core checks every page they see.
"""

import re

import pytest
from playwright.sync_api import expect

from intake.models import Intake
from tests.browser.conftest import DESKTOP, PHONE, assert_accessible
from tests.factories import PatientFactory, UserFactory, make_invitation

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

STEP_TITLES = {
    1: "About you",
    2: "Your pain",
    3: "Daily life",
    4: "Your medicines",
    5: "Health and safety",
    6: "Consent and check your answers",
}
REMINDERS = "How should we remind you of your appointments?"
SCREENING = {
    "pregnant": "Are you pregnant, or could you be?",
    "pacemaker": "Do you have a pacemaker",
    "bleeding_disorder": "Do you have a bleeding disorder",
    "anticoagulants": "Do you take blood thinners",
    "epilepsy": "Do you have epilepsy or seizures?",
    "diabetes": "Do you have diabetes?",
    "fainting": "Do you faint easily",
    "skin_problem": "Is there a skin infection",
    "metal_implant": "Do you have a metal implant",
}


def invited_patient(**names):
    front_desk = UserFactory(role="Front desk")
    patient = PatientFactory(created_by=front_desk, updated_by=front_desk, **names)
    _invitation, token, link = make_invitation(patient, created_by=front_desk)
    return patient, token, link


def on_step(page, token, number):
    """The page is step `number`, loaded, saying so in its title and heading."""
    expect(page).to_have_url(re.compile(rf"/intake/{token}/step/{number}/(#.*)?$"))
    page.wait_for_load_state()
    expect(page).to_have_title(re.compile(rf"^Step {number} of 6: {STEP_TITLES[number]}"))
    expect(page.get_by_role("heading", level=1)).to_have_text(
        f"Step {number} of 6 {STEP_TITLES[number]}"
    )


def fits_the_screen(page):
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= page.viewport_size["width"], f"{page.url} scrolls sideways ({width}px)"


def save_and_continue(page):
    page.get_by_role("button", name="Save and continue").click()


def group(page, question):
    """A fieldset (checkboxes or radios) by its legend."""
    return page.get_by_role("group", name=question)


def activity_fields(page):
    """Step 3's first two activities and their ratings."""
    return [
        page.get_by_label("Activity 1", exact=True),
        page.get_by_label("How well can you do activity 1 today?"),
        page.get_by_label("Activity 2 (optional)", exact=True),
        page.get_by_label("How well can you do activity 2 today?"),
    ]


def test_patient_fills_in_the_intake_on_a_phone_fixes_a_mistake_resumes_and_submits(
    open_context,
):
    patient, token, link = invited_patient(first_name="Maria", last_name="Okafor")

    # Step 1: her name and date of birth come from the chart; contact details are hers.
    page = open_context(viewport=PHONE).new_page()
    page.goto(link)
    on_step(page, token, 1)
    expect(page.get_by_text("Maria Okafor")).to_be_visible()
    expect(page.get_by_label("Mobile phone")).not_to_have_value("")
    fits_the_screen(page)
    assert_accessible(page)
    page.get_by_label("Name you like to be called").fill("Mia")
    page.get_by_label("Home address").fill("12 Elm Street\nSpringfield")
    # Reminders: email is offered only while there is an address to send it to.
    reminders = group(page, REMINDERS)
    by_email = reminders.get_by_label("By email, to the address above")
    expect(by_email).to_be_visible()
    page.get_by_label("Email (optional)").fill("")
    expect(by_email).to_be_hidden()
    page.get_by_label("Email (optional)").fill("mia@example.com")
    expect(by_email).to_be_visible()
    reminders.get_by_label("By text message, to the mobile number above").check()
    page.get_by_label("Their name").fill("Tom Okafor")
    page.get_by_label("How they are related to you").fill("Husband")
    page.get_by_label("Their phone").fill("(415) 555-0142")
    save_and_continue(page)

    # Step 2: headache days are asked only once a headache type is ticked.
    on_step(page, token, 2)
    headache_days = page.get_by_label("On how many of the last 30 days did you have a headache?")
    expect(headache_days).to_be_hidden()
    fits_the_screen(page)
    assert_accessible(page)
    kinds = group(page, "What kind of pain do you have?")
    kinds.get_by_label("Neck pain").check()
    kinds.get_by_label("Migraine").check()
    expect(headache_days).to_be_visible()
    headache_days.fill("8")
    page.get_by_label("How bad is your pain right now?").fill("6")
    page.get_by_label("How bad was it at its worst in the last week?").fill("8")
    where = group(page, "Where does it hurt?")
    # The list of regions (the body map over it is tested in test_body_map.py).
    where.get_by_role("checkbox", name="Head", exact=True).check()
    where.get_by_label("Head: how bad (0-10)?").fill("7")
    where.get_by_role("checkbox", name="Neck", exact=True).check()
    page.get_by_label("About how many months have you had this pain?").fill("18")
    group(page, "How did it start?").get_by_label("Gradually").check()
    page.get_by_label("What do you think caused it?").select_option(label="Stress")
    worse = group(page, "What makes it worse?")
    worse.get_by_label("Bright light").check()
    worse.get_by_label("Poor sleep").check()
    page.get_by_label("Anything else about your pain").fill("Worse in the mornings.")
    assert_accessible(page)  # with the headache question shown
    save_and_continue(page)

    # Step 3: two everyday activities, rated.
    on_step(page, token, 3)
    fits_the_screen(page)
    assert_accessible(page)
    activities = ["Turning my head to drive", "3", "Reading at my desk", "5"]
    for field, value in zip(activity_fields(page), activities, strict=True):
        field.fill(value)
    save_and_continue(page)

    # She reaches the medicines, closes the phone's browser and comes back later.
    on_step(page, token, 4)
    page.context.close()

    page = open_context(viewport=PHONE).new_page()
    page.goto(link)
    on_step(page, token, 4)  # where she stopped
    fits_the_screen(page)
    assert_accessible(page)
    page.get_by_role("button", name="Back").click()
    on_step(page, token, 3)
    for field, value in zip(activity_fields(page), activities, strict=True):
        expect(field).to_have_value(value)
    save_and_continue(page)

    # Step 4: a medicine, then another row for a second one.
    on_step(page, token, 4)
    first = group(page, "Medicine 1")
    first.get_by_label("Medicine", exact=True).fill("Ibuprofen")
    first.get_by_label("Dose").fill("400 mg")
    first.get_by_label("How often").fill("twice a day")
    first.get_by_label("I take it for my pain").check()
    page.get_by_role("button", name="Save and add another medicine").click()
    expect(page).to_have_url(re.compile(r"#add-medicine$"))
    second = group(page, "Medicine 2")
    expect(second.get_by_label("Medicine", exact=True)).to_have_value("")
    expect(first.get_by_label("Medicine", exact=True)).to_have_value("Ibuprofen")
    assert_accessible(page)  # with a saved row and its "Remove this medicine"
    second.get_by_label("Medicine", exact=True).fill("Vitamin D")
    save_and_continue(page)

    # Step 5: the safety questions, with one left unanswered by mistake.
    on_step(page, token, 5)
    fits_the_screen(page)
    assert_accessible(page)
    answers = {
        "pregnant": "No",
        "pacemaker": "No",
        "bleeding_disorder": "No",
        "anticoagulants": "Yes",
        "diabetes": "Not sure",
        "fainting": "No",
        "skin_problem": "No",
        "metal_implant": "No",
    }
    for field, answer in answers.items():
        group(page, SCREENING[field]).get_by_label(answer, exact=True).check()
    page.get_by_label("Any other health conditions").fill("Asthma as a child.")
    group(page, "Have you had acupuncture before?").get_by_label("Yes").check()
    page.get_by_label("If so, how did it go?").fill("It helped my back in 2019.")
    page.get_by_label("What would you like treatment to help you with?").fill(
        "Fewer migraines, driving without neck pain."
    )
    save_and_continue(page)

    on_step(page, token, 5)
    summary = page.get_by_role("alert").filter(has_text="Please check this answer")
    expect(summary).to_be_focused()
    expect(summary.get_by_role("link")).to_have_text(SCREENING["epilepsy"])
    epilepsy = group(page, SCREENING["epilepsy"])
    expect(epilepsy.locator(".invalid-feedback")).to_have_text("Please answer yes, no or not sure.")
    expect(epilepsy.get_by_label("No", exact=True)).to_have_attribute("aria-invalid", "true")
    expect(page.locator(".invalid-feedback")).to_have_count(1)
    # Everything else she answered on this step is still there.
    for field, answer in answers.items():
        expect(group(page, SCREENING[field]).get_by_label(answer, exact=True)).to_be_checked()
    expect(page.get_by_label("Any other health conditions")).to_have_value("Asthma as a child.")
    expect(group(page, "Have you had acupuncture before?").get_by_label("Yes")).to_be_checked()
    expect(page.get_by_label("If so, how did it go?")).to_have_value("It helped my back in 2019.")
    expect(page.get_by_label("What would you like treatment to help you with?")).to_have_value(
        "Fewer migraines, driving without neck pain."
    )
    fits_the_screen(page)
    assert_accessible(page)  # with the error shown
    # The summary's link takes her to the question (its first answer).
    summary.get_by_role("link").click()
    expect(epilepsy.get_by_label("Yes", exact=True)).to_be_focused()
    epilepsy.get_by_label("No", exact=True).check()
    save_and_continue(page)

    # Step 6: her answers to check, consent and signature.
    on_step(page, token, 6)
    fits_the_screen(page)
    assert_accessible(page)
    review = {
        "1. About you": ["Mia", "Tom Okafor · Husband"],
        "2. Your pain": ["Neck pain, Migraine", "Head (7 out of 10), Neck", "Stress"],
        "3. Daily life": ["Turning my head to drive: 3 out of 10"],
        "4. Your medicines": ["Ibuprofen", "400 mg, twice a day · taken for the pain"],
        "5. Health and safety": ["Yes", "It helped my back in 2019."],
    }
    for heading, texts in review.items():
        section = page.get_by_role("region", name=heading)
        for text in texts:
            expect(section).to_contain_text(text)
    page.get_by_label("I agree to be treated with acupuncture").check()
    page.get_by_label("I have read the privacy notice.").check()
    page.get_by_label("Type your full name as your signature").fill("Maria Okafor")
    page.get_by_role("button", name="Send my answers").click()

    expect(page).to_have_url(re.compile(rf"/intake/{token}/(#.*)?$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Thank you, we have your answers")
    assert_accessible(page)

    # The link, opened again (even at a step), shows only the thank-you page.
    page = open_context(viewport=PHONE).new_page()
    page.goto(link.rstrip("/") + "/step/2/")
    expect(page).to_have_url(re.compile(rf"/intake/{token}/(#.*)?$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Thank you, we have your answers")
    expect(page.get_by_role("main")).not_to_contain_text("Ibuprofen")
    expect(page.get_by_role("textbox")).to_have_count(0)

    intake = Intake.objects.get(patient=patient)
    assert intake.status == Intake.Status.SUBMITTED
    assert intake.completed_steps == [1, 2, 3, 4, 5]
    assert intake.preferred_name == "Mia"
    assert intake.address.splitlines() == ["12 Elm Street", "Springfield"]
    assert intake.emergency_contact_phone == "+14155550142"
    assert intake.pain_types == ["neck_pain", "migraine"]
    assert (intake.headache_days, intake.pain_now, intake.pain_worst) == (8, 6, 8)
    assert (intake.months_with_pain, intake.onset, intake.cause) == (18, "gradual", "stress")
    assert intake.triggers == ["bright_light", "poor_sleep"]
    assert intake.pain_notes == "Worse in the mornings."
    assert sorted(intake.regions.values_list("region", "score")) == [("head", 7), ("neck", None)]
    assert intake.psfs_items == [("Turning my head to drive", 3), ("Reading at my desk", 5)]
    assert list(
        intake.medications.order_by("pk").values_list("name", "dose", "frequency", "for_pain")
    ) == [("Ibuprofen", "400 mg", "twice a day", True), ("Vitamin D", "", "", False)]
    assert {field: getattr(intake, field) for field in SCREENING} == {
        **{field: answer.lower().replace(" ", "_") for field, answer in answers.items()},
        "epilepsy": "no",
    }
    assert intake.pregnancy_weeks is None
    assert intake.previous_acupuncture == "yes"
    assert intake.goals == "Fewer migraines, driving without neck pain."
    assert intake.consent_to_treatment and intake.privacy_acknowledged
    assert intake.signature_name == "Maria Okafor"
    patient.refresh_from_db()
    assert patient.emergency_contact_name == "Tom Okafor"  # copied onto the chart
    assert (patient.reminder_channel, patient.reminder_consent_by) == ("sms", None)


def press(page, key, then_focused):
    """Press a key; `then_focused` must have the focus afterwards."""
    page.keyboard.press(key)
    expect(then_focused).to_be_focused()


def tab_to(page, target, *, most=40):
    """Tab forward until `target` has the focus: it must be reachable by keyboard."""
    for _ in range(most):
        if target.evaluate("element => element === document.activeElement"):
            return
        page.keyboard.press("Tab")
    expect(target).to_be_focused()


def first_field(page, field):
    """From a freshly loaded step: Tab reaches the skip link, then the step's first field."""
    press(page, "Tab", page.get_by_role("link", name="Skip to main content"))
    expect(page.get_by_role("link", name="Skip to main content")).to_be_visible()
    press(page, "Tab", field)


def test_patient_completes_the_intake_with_the_keyboard_alone(open_context):
    patient, token, link = invited_patient()
    page = open_context(viewport=DESKTOP).new_page()
    keys = page.keyboard
    page.goto(link)

    # Step 1: field after field, and Enter saves.
    on_step(page, token, 1)
    first_field(page, page.get_by_label("Name you like to be called"))
    keys.type("Jo")
    press(page, "Tab", page.get_by_label("Mobile phone"))
    press(page, "Tab", page.get_by_label("Email (optional)"))
    press(page, "Tab", page.get_by_label("Home address"))
    keys.type("3 Mill Lane")
    # The reminder question: Tab enters the group, an arrow key chooses.
    reminders = group(page, REMINDERS)
    press(page, "Tab", reminders.get_by_label("By email, to the address above"))
    press(page, "ArrowDown", reminders.get_by_label("By text message, to the mobile number above"))
    expect(reminders.get_by_label("By text message, to the mobile number above")).to_be_checked()
    press(page, "Tab", page.get_by_label("Their name"))
    keys.type("Ana Silva")
    press(page, "Tab", page.get_by_label("How they are related to you"))
    keys.type("Sister")
    press(page, "Tab", page.get_by_label("Their phone"))
    keys.type("415 555 0177")
    keys.press("Enter")

    # Step 2: checkboxes with Space, a radio group with the arrows, a select by typing.
    on_step(page, token, 2)
    kinds = group(page, "What kind of pain do you have?")
    first_field(page, kinds.get_by_label("Neck pain"))
    keys.press("Space")
    tab_to(page, kinds.get_by_label("Tension headache"))
    keys.press("Space")
    headache_days = page.get_by_label("On how many of the last 30 days did you have a headache?")
    expect(headache_days).to_be_visible()
    press(page, "Tab", kinds.get_by_label("Migraine"))
    press(page, "Tab", kinds.get_by_label("Other"))
    press(page, "Tab", headache_days)
    keys.type("12")
    press(page, "Tab", page.get_by_label("How bad is your pain right now?"))
    keys.type("7")
    press(page, "Tab", page.get_by_label("How bad was it at its worst in the last week?"))
    keys.type("9")
    where = group(page, "Where does it hurt?")
    # The body map comes first (tested in test_body_map.py), then the list.
    press(page, "Tab", where.get_by_role("button", name="Head", exact=True))
    tab_to(page, where.get_by_role("checkbox", name="Head", exact=True))
    press(page, "Tab", where.get_by_label("Head: how bad (0-10)?"))
    press(page, "Tab", where.get_by_role("checkbox", name="Neck", exact=True))
    keys.press("Space")
    press(page, "Tab", where.get_by_label("Neck: how bad (0-10)?"))
    keys.type("8")
    months = page.get_by_label("About how many months have you had this pain?")
    tab_to(page, months)
    keys.type("900")  # a mistake: more than 600 months
    onset = group(page, "How did it start?")
    press(page, "Tab", onset.get_by_label("Suddenly"))
    press(page, "ArrowDown", onset.get_by_label("Gradually"))
    expect(onset.get_by_label("Gradually")).to_be_checked()
    cause = page.get_by_label("What do you think caused it?")
    press(page, "Tab", cause)
    keys.type("Sle")
    expect(cause).to_have_value("sleeping_posture")
    worse = group(page, "What makes it worse?")
    tab_to(page, worse.get_by_label("Screen time"))
    keys.press("Space")
    notes = page.get_by_label("Anything else about your pain")
    tab_to(page, notes)
    keys.type("Behind my eyes.")
    keys.press("Enter")  # a new line in a text area
    keys.type("Mostly after work.")
    # Back, then Save and continue: the order they show in.
    press(page, "Tab", page.get_by_role("button", name="Back", exact=True))
    press(page, "Tab", page.get_by_role("button", name="Save and continue"))
    keys.press("Enter")

    # The error summary takes the focus; its link takes the keyboard to the field.
    on_step(page, token, 2)
    summary = page.get_by_role("alert").filter(has_text="Please check this answer")
    expect(summary).to_be_focused()
    press(page, "Tab", summary.get_by_role("link", name="About how many months"))
    press(page, "Enter", months)
    expect(months).to_have_value("900")
    expect(months).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#div_id_months_with_pain .invalid-feedback")).to_have_text(
        "Please type a number of months from 0 to 600."
    )
    assert_accessible(page)
    # Nothing else typed is lost.
    expect(kinds.get_by_label("Neck pain")).to_be_checked()
    expect(kinds.get_by_label("Tension headache")).to_be_checked()
    expect(headache_days).to_have_value("12")
    expect(where.get_by_label("Neck: how bad (0-10)?")).to_have_value("8")
    expect(onset.get_by_label("Gradually")).to_be_checked()
    expect(cause).to_have_value("sleeping_posture")
    expect(worse.get_by_label("Screen time")).to_be_checked()
    expect(notes).to_have_value("Behind my eyes.\nMostly after work.")
    keys.press("ControlOrMeta+a")
    keys.type("36")
    keys.press("Enter")

    # Step 3: Shift+Tab goes back a field.
    on_step(page, token, 3)
    first_field(page, page.get_by_label("Activity 1", exact=True))
    keys.type("Lifting my toddler")
    press(page, "Tab", page.get_by_label("How well can you do activity 1 today?"))
    keys.type("2")
    press(page, "Shift+Tab", page.get_by_label("Activity 1", exact=True))
    expect(page.get_by_label("Activity 1", exact=True)).to_have_value("Lifting my toddler")
    press(page, "Tab", page.get_by_label("How well can you do activity 1 today?"))
    keys.press("Enter")

    # Step 4: a medicine, and after "add another" the keyboard lands in the new row.
    on_step(page, token, 4)
    first = group(page, "Medicine 1")
    first_field(page, first.get_by_label("Medicine", exact=True))
    keys.type("Paracetamol")
    press(page, "Tab", first.get_by_label("Dose"))
    keys.type("500 mg")
    press(page, "Tab", first.get_by_label("How often"))
    keys.type("when needed")
    press(page, "Tab", first.get_by_label("I take it for my pain"))
    keys.press("Space")
    press(page, "Tab", page.get_by_role("button", name="Save and add another medicine"))
    keys.press("Enter")
    on_step(page, token, 4)
    second = group(page, "Medicine 2")
    press(page, "Tab", second.get_by_label("Medicine", exact=True))
    keys.type("Magnesium")
    keys.press("Enter")

    # Step 5: each safety question is one Tab stop; arrows choose, Space too.
    on_step(page, token, 5)
    assert_accessible(page)
    choices = {
        "pregnant": "No",
        "pacemaker": "No",
        "bleeding_disorder": "Not sure",
        "anticoagulants": "No",
        "epilepsy": "Yes",
        "diabetes": "No",
        "fainting": "No",
        "skin_problem": "No",
        "metal_implant": "No",
    }
    for n, (field, answer) in enumerate(choices.items()):
        question = group(page, SCREENING[field])
        if n == 0:
            first_field(page, question.get_by_label("Yes", exact=True))
        else:
            press(page, "Tab", question.get_by_label("Yes", exact=True))
        if answer == "Yes":
            keys.press("Space")
        for option in ("No", "Not sure")[: ("Yes", "No", "Not sure").index(answer)]:
            press(page, "ArrowDown", question.get_by_label(option, exact=True))
        expect(question.get_by_label(answer, exact=True)).to_be_checked()
    expect(page.get_by_label("If you are pregnant, how many weeks?")).to_be_hidden()
    press(page, "Tab", page.get_by_label("Any other health conditions"))
    earlier = group(page, "Have you had acupuncture before?")
    press(page, "Tab", earlier.get_by_label("Yes"))
    press(page, "ArrowDown", earlier.get_by_label("No"))
    press(page, "Tab", page.get_by_label("If so, how did it go?"))
    press(page, "Tab", page.get_by_label("What would you like treatment to help you with?"))
    keys.type("Pick up my toddler again.")
    # Back, then Save and continue: the order they show in.
    press(page, "Tab", page.get_by_role("button", name="Back"))
    press(page, "Tab", page.get_by_role("button", name="Save and continue"))
    keys.press("Space")

    # Step 6: the review's links, the privacy notice, consent and the signature.
    on_step(page, token, 6)
    assert_accessible(page)
    # The skip link skips to the page's content.
    press(page, "Tab", page.get_by_role("link", name="Skip to main content"))
    keys.press("Enter")
    press(page, "Tab", page.get_by_role("link", name="Change about you"))
    for title in ("your pain", "daily life", "your medicines", "health and safety"):
        press(page, "Tab", page.get_by_role("link", name=f"Change {title}"))
    notice = page.locator("details")
    press(page, "Tab", notice.locator("summary"))
    keys.press("Enter")
    expect(notice).to_have_attribute("open", "")
    expect(notice.get_by_text("We do not sell or share your information.")).to_be_visible()
    press(page, "Tab", page.get_by_label("I agree to be treated with acupuncture"))
    keys.press("Space")
    press(page, "Tab", page.get_by_label("I have read the privacy notice."))
    keys.press("Space")
    press(page, "Tab", page.get_by_label("Type your full name as your signature"))
    keys.type(f"{patient.first_name} {patient.last_name}")
    keys.press("Enter")

    expect(page).to_have_url(re.compile(rf"/intake/{token}/(#.*)?$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Thank you, we have your answers")

    intake = Intake.objects.get(patient=patient)
    assert intake.status == Intake.Status.SUBMITTED
    assert intake.emergency_contact_name == "Ana Silva"
    assert intake.reminder_channel == "sms"
    assert intake.pain_types == ["neck_pain", "tension_type_headache"]
    assert (intake.headache_days, intake.pain_now, intake.pain_worst) == (12, 7, 9)
    assert (intake.months_with_pain, intake.onset) == (36, "gradual")
    assert intake.cause == "sleeping_posture"
    assert intake.triggers == ["screen_time"]
    assert intake.pain_notes.splitlines() == ["Behind my eyes.", "Mostly after work."]
    assert list(intake.regions.values_list("region", "score")) == [("neck", 8)]
    assert intake.psfs_items == [("Lifting my toddler", 2)]
    assert list(intake.medications.order_by("pk").values_list("name", "for_pain")) == [
        ("Paracetamol", True),
        ("Magnesium", False),
    ]
    assert {field: getattr(intake, field) for field in SCREENING} == {
        field: answer.lower().replace(" ", "_") for field, answer in choices.items()
    }
    assert (intake.previous_acupuncture, intake.goals) == ("no", "Pick up my toddler again.")
    assert intake.consent_to_treatment and intake.privacy_acknowledged
    assert intake.signature_name == f"{patient.first_name} {patient.last_name}"
