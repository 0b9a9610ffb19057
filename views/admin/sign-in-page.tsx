import { Layout } from '../layout.tsx'

export function SignInPage(props: { email?: string; error?: string; next?: string }) {
  return (
    <Layout title="Sign in · onecode">
      <div class="card" style="max-width:26rem;margin:3rem auto">
        <h1>Sign in to onecode</h1>
        {props.error ? (
          <div class="errors" role="alert">
            {props.error}
          </div>
        ) : null}
        <form class="stack" method="post" action="/admin/sign-in">
          <input type="hidden" name="next" value={props.next ?? ''} />
          <label>
            Email
            <input type="email" name="email" required autocomplete="username" value={props.email ?? ''} />
          </label>
          <label>
            Password
            <input type="password" name="password" required autocomplete="current-password" />
          </label>
          <button type="submit">Sign in</button>
        </form>
      </div>
    </Layout>
  )
}

export function SetPasswordPage(props: { email: string; token: string; error?: string }) {
  return (
    <Layout title="Set your password · onecode">
      <div class="card" style="max-width:26rem;margin:3rem auto">
        <h1>Welcome to onecode</h1>
        <p>
          Choose a password for <b>{props.email}</b>.
        </p>
        {props.error ? (
          <div class="errors" role="alert">
            {props.error}
          </div>
        ) : null}
        <form class="stack" method="post" action={`/admin/invite/${props.token}`}>
          <label>
            Password (at least 10 characters)
            <input type="password" name="password" required minlength={10} autocomplete="new-password" />
          </label>
          <label>
            Repeat password
            <input type="password" name="confirm" required minlength={10} autocomplete="new-password" />
          </label>
          <button type="submit">Set password</button>
        </form>
      </div>
    </Layout>
  )
}

export function MessagePage(props: { title: string; message: string; status?: 'error' | 'ok' }) {
  return (
    <Layout title={`${props.title} · onecode`}>
      <div class="card" style="max-width:32rem;margin:3rem auto">
        <h1>{props.title}</h1>
        <p class={props.status === 'error' ? 'error' : undefined}>{props.message}</p>
      </div>
    </Layout>
  )
}
