-- wrk: POST one new ticket per request (no idempotency key: every request creates).
wrk.method = "POST"
wrk.headers["content-type"] = "application/json"
wrk.body = '{"site":"demo","name":"Ada Lovelace","email":"ada@example.com","type":"billing",' ..
  '"subject":"Charged twice for November","message":"My card was charged twice for the November invoice. ' ..
  'Could you refund one of the charges? The invoice number is INV-2026-1130.",' ..
  '"context":{"url":"https://app.example.com/billing","locale":"en-GB","time_zone":"Europe/London"}}'
