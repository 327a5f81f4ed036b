"""
HTTP to Datalore's APIs, for the hook only: API-neutral (the APIs' endpoints live in ``run_api/`` and
``notebook_api/``).

- ``calls``: what an endpoint is (``Endpoint``: its retry safety, reply kind, words for an unknown fate),
  one call to it (``Call``) and one failed attempt at it (``AttemptFailed``).
- ``retry``: the one retry predicate (read from the endpoint), the backoff, ``Retry-After``.
- ``replies``: an HTTP status and body turned into JSON, or into a failed attempt.
- ``attempts``: try, decide, wait, or raise the final error: the retry loop both clients share.
- ``failures``: the last failed attempt turned into the error the user sees; library exceptions classified.
- ``sync``: blocking calls with requests, for operators and sensors.
- ``aio``: non-blocking calls with aiohttp, for triggers.
- ``streams``: what a streamed download and upload share: the sink, the count, digest and cap of its bytes.
- ``sessions``: the aiohttp sessions shared by every trigger of an event loop, with proxy and CA settings.
- ``watchdog``: the timer that shuts a blocking attempt's socket at its deadline.
- ``bounded_adapter``: the requests adapter that reports sockets to the watchdog and skips interim 1xx replies.

The words for what goes wrong, from the wire up: a ``Failure`` is how an attempt failed before a status
arrived; an ``AttemptFailed`` is one attempt's failure, never shown to the user; a ``DataloreError``
(``exceptions``) is what the user sees once no attempt is left. (The emulator's ``ApiError`` is the other
side's: an error reply the emulated server sends.)

requests and aiohttp are imported where they are used, so that a DAG file importing the operators pays
for neither.
"""
