"""
HTTP to the Run API, for the hook only.

- ``calls``: what one call is (``Call``) and how one attempt failed (``AttemptFailed``).
- ``replies``: an HTTP status and body turned into JSON, or into a failed attempt.
- ``attempts``: try, decide, wait, or raise the final error: the retry loop both clients share.
- ``failures``: a failed attempt turned into the error the user sees; library exceptions classified.
- ``sync``: blocking calls with requests, for operators and sensors.
- ``aio``: non-blocking calls with aiohttp, for triggers.
- ``streams``: what a streamed download and upload share: the sink, the count, digest and cap of its bytes.
- ``sessions``: the aiohttp sessions shared by every trigger of an event loop, with proxy and CA settings.

requests and aiohttp are imported where they are used, so that a DAG file importing the operators pays
for neither.
"""
