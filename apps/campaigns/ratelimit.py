"""Sending rates as token buckets in Redis, shared by every worker: one bucket per CPTS (so one
CPTS's big campaign cannot use the whole provider allowance) and one for the platform (the
provider's own limit).

``take(schema)`` takes one token from both buckets at once, or from neither: a Lua script runs
atomically in Redis, so two workers can never overdraw a bucket between a read and a write. When a
bucket is empty it answers how long to wait instead; the caller decides whether to sleep a little
or to give its worker back to other CPTS (workers/campaigns.py).
"""

from __future__ import annotations

import time
from functools import lru_cache

import redis
from django.conf import settings

# KEYS: the bucket keys. ARGV: now (seconds, float), then rate (tokens/s) and burst for each key.
# Each bucket is a hash {tokens, ts}; it refills at ``rate`` up to ``burst``. Returns "0" when a
# token was taken from every bucket, else the seconds to wait (as a string: Lua numbers become
# integers on the way back).
_TAKE = """
local now = tonumber(ARGV[1])
local wait = 0
local levels = {}
for i, key in ipairs(KEYS) do
  local rate = tonumber(ARGV[2 * i])
  local burst = tonumber(ARGV[2 * i + 1])
  local state = redis.call('HMGET', key, 'tokens', 'ts')
  local tokens = tonumber(state[1]) or burst
  local ts = tonumber(state[2]) or now
  tokens = math.min(burst, tokens + math.max(0, now - ts) * rate)
  levels[i] = tokens
  if tokens < 1 then
    wait = math.max(wait, (1 - tokens) / rate)
  end
end
if wait > 0 then
  return tostring(wait)
end
for i, key in ipairs(KEYS) do
  local rate = tonumber(ARGV[2 * i])
  local burst = tonumber(ARGV[2 * i + 1])
  redis.call('HSET', key, 'tokens', levels[i] - 1, 'ts', now)
  redis.call('EXPIRE', key, math.ceil(burst / rate) + 60)
end
return "0"
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
    args: list[float] = [time.time()]
    for rate in (settings.MAIL_RATE_GLOBAL, settings.MAIL_RATE_PER_CPTS):
        args += [float(rate), float(max(1, rate * settings.MAIL_BURST_SECONDS))]
    return float(_script()(keys=bucket_keys(schema), args=args))
