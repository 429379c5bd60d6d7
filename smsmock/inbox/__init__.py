"""The web inbox: the pages a developer keeps open beside `smsmock serve`, a client of the control API.

`site` routes and renders the pages, `listing` pages the message list, `anatomy` takes a text apart
with the segmentation engine, `timeline` says what comes next for a message, `exchanges` reads the
journal and `rendering` holds the templates and the filters that show client data as text.
Templates and static files ship in the package (no build step, no CDN, no network).
"""

from smsmock.inbox.site import UI_PREFIX, Inbox

__all__ = ["UI_PREFIX", "Inbox"]
