"""Refusal codes added by the hostile-input hardening (issue 13), as plain strings in one list.

`auction_site.errors` owns the site's error codes; these are kept apart so they merge with its list
without conflicts. Each code is what a client switches on in {"error": {"code", "message"}}.
"""

MALFORMED = "malformed"  # the body cannot be parsed (bad JSON, JSON nested too deep, broken multipart)
NOT_AUTHENTICATED = "not_authenticated"  # anonymous caller of a protected call (401)
METHOD_NOT_ALLOWED = "method_not_allowed"
UNSUPPORTED_MEDIA_TYPE = "unsupported_media_type"
TOO_LARGE = "too_large"
RATE_LIMITED = "rate_limited"
BAD_REQUEST = "bad_request"  # a 4xx raised below the API layer, with no code of its own
NOT_ADULT = "not_adult"  # Civil Code art. 17–18: a bidder is an adult of full civil capacity
BIRTH_DATE_IN_FUTURE = "birth_date_in_future"  # GB 11643: the birth date of an ID number lies ahead
WRONG_PROVIDER = "wrong_provider"  # sandbox confirm called for a payment of another provider

NEW_CODES = [MALFORMED, NOT_AUTHENTICATED, METHOD_NOT_ALLOWED, UNSUPPORTED_MEDIA_TYPE, TOO_LARGE, RATE_LIMITED, BAD_REQUEST,
             NOT_ADULT, BIRTH_DATE_IN_FUTURE, WRONG_PROVIDER]

# The code a bare 4xx gets when something below the API (Django, the server) answered without one.
CODE_FOR_STATUS = {
    400: BAD_REQUEST, 401: NOT_AUTHENTICATED, 403: "forbidden", 404: "not_found", 405: METHOD_NOT_ALLOWED,
    406: "not_acceptable", 409: "conflict", 413: TOO_LARGE, 415: UNSUPPORTED_MEDIA_TYPE, 429: RATE_LIMITED,
}
