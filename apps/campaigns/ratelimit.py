"""Sending rates as token buckets in Redis, shared by every worker: one bucket per CPTS (so one
CPTS's big campaign cannot use the whole provider allowance) and one for the platform (the
provider's own limit).

``take(schema)`` takes one token from both buckets at once, or from neither; ``take_up_to(schema,
n)`` takes as many as both buckets hold, up to ``n`` (a bulk sender's batch, one round trip for
many messages). A Lua script runs atomically in Redis, so two workers can never overdraw a bucket
between a read and a write. When a bucket is empty it answers how long to wait instead; the caller
decides whether to sleep a little or to give its worker back to other CPTS (workers/campaigns.py).
"""

from __future__ import annotations

import time
from functools import lru_cache

import redis
from django.conf import settings

# KEYS: the bucket keys. ARGV: now (seconds, float), the most tokens wanted, then rate (tokens/s)
# and burst for each key. Each bucket is a hash {tokens, ts}; it refills at ``rate`` up to
# ``burst``. Takes min(wanted, whole tokens of the emptiest bucket) from every bucket and returns
# {taken, wait}: wait is the seconds until one token is there when none was taken (a string: Lua
# numbers become integers on the way back).
_TAKE = """
local now = tonumber(ARGV[1])
local granted = tonumber(ARGV[2])
local wait = 0
local levels = {}
for i, key in ipairs(KEYS) do
  local rate = tonumber(ARGV[1 + 2 * i])
  local burst = tonumber(ARGV[2 + 2 * i])
  local state = redis.call('HMGET', key, 'tokens', 'ts')
  local tokens = tonumber(state[1]) or burst
  local ts = tonumber(state[2]) or now
  tokens = math.min(burst, tokens + math.max(0, now - ts) * rate)
  levels[i] = tokens
  granted = math.min(granted, math.floor(tokens))
  if tokens < 1 then
    wait = math.max(wait, (1 - tokens) / rate)
  end
end
if granted < 1 then
  return {0, tostring(wait)}
end
for i, key in ipairs(KEYS) do
  local rate = tonumber(ARGV[1 + 2 * i])
  local burst = tonumber(ARGV[2 + 2 * i])
  redis.call('HSET', key, 'tokens', levels[i] - granted, 'ts', now)
  redis.call('EXPIRE', key, math.ceil(burst / rate) + 60)
end
return {granted, "0"}
"""


@lru_cache(maxsize=1)
def client() -> redis.Redis:
    """The Redis database of the mail pipeline's shared state (buckets, digest runs)."""
    return redis.Redis.from_url(settings.MAIL_STATE_REDIS_URL)


@lru_cache(maxsize=1)
def _script():
    return client().register_script(_TAKE)


def bucket_keys(schema: str) -> list[str]:
    return ["mail:bucket:global", f"mail:bucket:cpts:{schema}"]


def take(schema: str) -> float:
    """Take one sending token for CPTS ``schema`` (and the platform). Returns 0.0 when taken,
    else the seconds to wait before one is available (nothing taken)."""
    taken, wait = take_up_to(schema, 1)
    return 0.0 if taken else wait


def take_up_to(schema: str, wanted: int) -> tuple[int, float]:
    """Take between 1 and ``wanted`` sending tokens for CPTS ``schema`` (and the platform), as many
    as both buckets hold. Returns (tokens taken, 0.0), or (0, seconds to wait before one is
    available) when a bucket is empty (nothing taken)."""
    args: list[float] = [time.time(), float(max(1, wanted))]
    for rate in (settings.MAIL_RATE_GLOBAL, settings.MAIL_RATE_PER_CPTS):
        args += [float(rate), float(max(1, rate * settings.MAIL_BURST_SECONDS))]
    taken, wait = _script()(keys=bucket_keys(schema), args=args)
    return int(taken), float(wait)
