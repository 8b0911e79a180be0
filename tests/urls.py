"""The app's URLs as tests write them: spelled out, as bookmarks and scripts use them
(docs/reference.md), so a moved URL fails the tests."""


def chart_url(patient, *, sessions_page=None) -> str:
    url = f"/patients/{patient.code}/"
    return f"{url}?sessions_page={sessions_page}" if sessions_page else url


def new_session_url(patient) -> str:
    return f"/patients/{patient.code}/sessions/new/"


def session_url(session) -> str:
    return f"/sessions/{session.code}/"


def plan_url(patient) -> str:
    return f"/patients/{patient.code}/plan/"


def book_url(patient) -> str:
    return f"/patients/{patient.code}/appointments/new/"
