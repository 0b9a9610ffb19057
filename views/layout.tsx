import { raw } from 'hono/html'
import type { Child } from 'hono/jsx'
import { HTMX_PATH } from './static-assets.ts'

type LayoutProps = {
  title: string
  lang?: string
  children: Child
  /** CSRF token for state-changing htmx requests of a signed-in page. */
  csrfToken?: string
  nav?: Child
}

/** The one document shell: our own CSS and htmx from our origin, nothing from a third party. */
export function Layout({ title, lang = 'en', children, csrfToken, nav }: LayoutProps) {
  return (
    <>
      {raw('<!doctype html>')}
      <html lang={lang}>
        <head>
          <meta charset="utf-8" />
          <meta name="viewport" content="width=device-width, initial-scale=1" />
          <meta name="referrer" content="same-origin" />
          <title>{title}</title>
          <link rel="stylesheet" href="/static/app.css" />
          <script src={HTMX_PATH} defer />
        </head>
        <body hx-headers:inherited={csrfToken ? JSON.stringify({ 'X-CSRF-Token': csrfToken }) : undefined}>
          {nav}
          <main>{children}</main>
        </body>
      </html>
    </>
  )
}
