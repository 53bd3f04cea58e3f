-- Argo CD health of a kodegen CodeGeneration, from the status the operator writes
-- (phase, observedGeneration, conditions Ready, Stalled, Drifted). Lua 5.1 (gopher-lua).
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

if obj.status == nil then
  hs.status = "Progressing"
  hs.message = "Waiting for the kodegen operator"
  return hs
end

local ready = condition("Ready")
local generation = obj.metadata and obj.metadata.generation
local observed = obj.status.observedGeneration
if generation ~= nil and (observed == nil or observed < generation) then
  hs.status = "Progressing"
  hs.message = "Waiting for the operator to observe generation " .. tostring(generation)
  return hs
end

if obj.spec ~= nil and obj.spec.suspend == true and obj.status.phase ~= "Running" then
  hs.status = "Suspended"
  hs.message = say(ready, "spec.suspend is true: no new runs start")
  return hs
end

local stalled = condition("Stalled")
if stalled ~= nil and stalled.status == "True" then
  hs.status = "Degraded"
  hs.message = say(stalled, "Stalled")
  return hs
end

local phase = obj.status.phase
if phase == "Failed" then
  hs.status = "Degraded"
  hs.message = say(ready, "The run failed")
  return hs
end

if phase == "Succeeded" then
  local drifted = condition("Drifted")
  if drifted ~= nil and drifted.status == "True" then
    hs.status = "Degraded"
    hs.message = "Published output edited by hand: " .. say(drifted, "Drifted")
    return hs
  end
  if ready ~= nil and ready.status == "True" then
    hs.status = "Healthy"
    hs.message = say(ready, "Succeeded")
    return hs
  end
end

hs.status = "Progressing"
hs.message = say(ready, "Phase " .. tostring(phase or "Pending"))
return hs
