// Location is asked of the browser only after the consumer taps "share" (separate consent, PIPL).
document.addEventListener('click', (event) => {
  const button = event.target instanceof Element ? event.target.closest('[data-geolocate]') : null
  if (!button?.form) return
  event.preventDefault()
  const form = button.form
  const send = (fields) => {
    for (const [name, value] of Object.entries(fields)) form.elements[name].value = String(value)
    form.requestSubmit()
  }
  if (!('geolocation' in navigator)) return send({ geo: 'unavailable' })
  button.disabled = true
  navigator.geolocation.getCurrentPosition(
    (p) => send({ geo: 'ok', lat: p.coords.latitude, lon: p.coords.longitude, accuracy: p.coords.accuracy }),
    () => send({ geo: 'unavailable' }),
    { enableHighAccuracy: true, timeout: 15000, maximumAge: 60000 },
  )
})
