"""The push endpoint allowlist: only the browsers' push services, read as the HTTP client reads them."""
from __future__ import annotations

import pytest
import requests

from app.notify.push import DEFAULT_ALLOWED, allowed_origins, endpoint_allowed

LOCAL = "http://127.0.0.1:8099"  # a local push service, as tests configure PUSH_ENDPOINT_ALLOWLIST
ORIGINS = allowed_origins(LOCAL)

ALLOWED = [
    "https://fcm.googleapis.com/fcm/send/dGVzdA:APA91bH-x_y",
    "https://android.googleapis.com/gcm/send/abc",
    "https://updates.push.services.mozilla.com/wpush/v2/gAAAAABk-x_y",
    "https://web.push.apple.com/QGr6pjtUWTQ8kVqsNpPqLZ0s",
    "https://api.push.apple.com/3/device/abc",                                # Apple: *.push.apple.com
    "https://wns2-par02p.notify.windows.com/w/?token=BQYAAAD%2fTVD%2b%3d",     # WNS escapes its token
    "https://FCM.googleapis.com/fcm/send/abc",                                # same host, DNS ignores case
    LOCAL + "/push/1",                                                        # an exact configured origin
]

REFUSED = [
    # The reported bypass: urlsplit sees *.notify.windows.com, requests connects to 127.0.0.1.
    "https://127.0.0.1\\.notify.windows.com/x",
    "https://fcm.googleapis.com\\@127.0.0.1/x",
    "https://fcm.googleapis.com\\x",
    # Userinfo and fragments that move the host.
    "https://a.notify.windows.com@127.0.0.1/x",
    "https://fcm.googleapis.com@127.0.0.1/x",
    "https://user:pw@fcm.googleapis.com/x",
    "https://@fcm.googleapis.com/x",
    "https://127.0.0.1#.notify.windows.com/x",
    "https://127.0.0.1?.notify.windows.com/x",
    # Percent-escapes, unicode dots and spaces in the host.
    "https://fcm%2egoogleapis.com/x",
    "https://127.0.0.1%2f.notify.windows.com/x",
    "https://a%2enotify.windows.com/x",
    "https://fcm\u3002googleapis.com/x",
    "https://fcm\uff0egoogleapis.com/x",
    "https://fcm.googleapis.com\u200b/x",
    "https://fcm.googleapis.com /x",
    "https://fcm.googleapis.com\t/x",
    "https://fcm.googleapis.com\r\n/x",
    # IP literals in every spelling, also under a wildcard.
    "https://127.0.0.1/x",
    "https://2130706433/x",
    "https://0x7f000001/x",
    "https://0177.0.0.1/x",
    "https://0x7f.0.0.1/x",
    "https://[::1]/x",
    "https://[::ffff:127.0.0.1]/x",
    "https://169.254.169.254/latest/meta-data",
    "http://127.0.0.1:8098/push/1",                  # the local origin, but another port
    "http://localhost:8099/push/1",                  # ...or another spelling of its host
    # Ports, schemes, trailing dots, look-alikes.
    "https://fcm.googleapis.com:443/x",
    "https://fcm.googleapis.com:8443/x",
    "https://fcm.googleapis.com:/x",
    "http://fcm.googleapis.com/x",
    "ftp://fcm.googleapis.com/x",
    "file:///etc/passwd",
    "fcm.googleapis.com/x",
    "//fcm.googleapis.com/x",
    "https://fcm.googleapis.com./x",
    "https://x.notify.windows.com./x",
    "https://notify.windows.com/x",                  # the wildcard means subdomains only
    "https://.notify.windows.com/x",
    "https://-x.notify.windows.com/x",
    "https://fcm.googleapis.com.evil.example/x",
    "https://evilnotify.windows.com/x",
    "https://notify.windows.com.evil.example/x",
    "https://evil.example/fcm.googleapis.com",
    "https://push.apple.com/x",
    # Not strings, empty, huge.
    "",
    "https://",
    "https://fcm.googleapis.com/" + "a" * 3000,
    None,
    5,
    ["https://fcm.googleapis.com/x"],
]


@pytest.mark.parametrize("endpoint", ALLOWED)
def test_push_services_are_allowed(endpoint):
    assert endpoint_allowed(endpoint, ORIGINS)


@pytest.mark.parametrize("endpoint", REFUSED, ids=repr)
def test_tricky_endpoints_are_refused(endpoint):
    assert not endpoint_allowed(endpoint, ORIGINS)


def test_the_configured_origin_is_exact_and_only_when_configured():
    assert not endpoint_allowed(LOCAL + "/push/1", DEFAULT_ALLOWED)
    assert not endpoint_allowed("http://127.0.0.1:8099/push/1", allowed_origins("http://127.0.0.1:8100"))


@pytest.mark.parametrize("endpoint", ALLOWED[:-1])
def test_the_http_client_connects_where_we_checked(endpoint):
    """What requests will really connect to is the host we allowed."""
    url = requests.Request("POST", endpoint).prepare().url
    assert url.split("/")[2].lower().split(":")[0].endswith(
        ("googleapis.com", "mozilla.com", "apple.com", "notify.windows.com"))
