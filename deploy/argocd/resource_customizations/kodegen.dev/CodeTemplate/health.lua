-- Argo CD health of a kodegen CodeTemplate or ClusterCodeTemplate, from the status the
-- operator writes (conditions Validated, Ready, ContentChanged, RolloutHalted). Lua 5.1.
local hs = {}

local function condition(kind)
  if obj.status == nil or obj.status.conditions == nil then
    return nil
  end
  for _, c in ipairs(obj.status.conditions) do
    if c.type == kind then
      return c
    end
  end
  return nil
end

local function say(c, fallback)
  if c ~= nil and c.message ~= nil and c.message ~= "" then
    return c.message
  end
  return fallback
end

local ready = condition("Ready")
if ready == nil then
  hs.status = "Progressing"
  hs.message = "Waiting for the kodegen operator to validate the template"
  return hs
end

for _, kind in ipairs({"ContentChanged", "RolloutHalted"}) do
  local c = condition(kind)
  if c ~= nil and c.status == "True" then
    hs.status = "Degraded"
    hs.message = say(c, kind)
    return hs
  end
end

if ready.status == "True" then
  hs.status = "Healthy"
  hs.message = say(ready, "Ready")
  return hs
end

if ready.reason == "Testing" or ready.status == "Unknown" then
  hs.status = "Progressing"
  hs.message = say(ready, "Validation in progress")
  return hs
end

hs.status = "Degraded"
hs.message = say(ready, "Not ready")
return hs
