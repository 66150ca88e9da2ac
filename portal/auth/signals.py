"""What happened to an account, for the packages above auth that react to it (notifications) without
auth importing them (the floors: auth sits below every feature).

    signals.password_changed.send(user, how="change" | "reset" | "recovery")
    signals.signed_in.send(user, new_device=True | False, user_agent="...")

Receivers connect at app start; a receiver's failure must not stop a sign-in, so they only queue work.
"""
from blinker import Namespace

_signals = Namespace()

password_changed = _signals.signal("password-changed")
signed_in = _signals.signal("signed-in")
