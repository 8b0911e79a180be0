"""What sessions tell apps built on them. The plans app sits above sessions and
counts each signed session in the patient's plan: sessions does not import plans,
it sends this signal (CONTRIBUTING.md, "Layers")."""

from django.dispatch import Signal

# Sent by session_sign inside its transaction, after the note is signed, with
# `session` and `user` (the practitioner who signed). A receiver that raises undoes
# the signature.
session_signed = Signal()
