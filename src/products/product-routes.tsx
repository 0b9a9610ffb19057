import { Hono } from 'hono'
import { ProductFormPage, type ProductFormValues, ProductsPage } from '../../views/admin/products-pages.tsx'
import { createNotices } from '../admin-notice.ts'
import type { AppDeps, AppEnv } from '../app-deps.ts'
import { can } from '../staff/permissions.ts'
import { requireRole } from '../staff/staff-auth.ts'
import { issuesOf } from '../staff/staff-input.ts'
import { staffView } from '../staff/staff-routes.tsx'
import { ProductForm } from './product-input.ts'
import { createProduct, findProduct, listProducts, updateProduct } from './product-store.ts'

export function createProductRoutes(deps: AppDeps) {
  const notices = createNotices(deps.masterKey)
  return new Hono<AppEnv>()
    .get('/products', requireRole('catalogue.read'), (c) => {
      const s = c.get('staff')
      return c.html(
        <ProductsPage
          staff={staffView(s)}
          products={listProducts(s.bdb)}
          canEdit={can(s.role, 'catalogue.write')}
          notice={notices.read(c)}
        />,
      )
    })
    .get('/products/new', requireRole('catalogue.write'), (c) =>
      c.html(<ProductFormPage staff={staffView(c.get('staff'))} values={{ points: '10' }} />),
    )
    .post('/products', requireRole('catalogue.write'), async (c) => {
      const s = c.get('staff')
      const body = (await c.req.parseBody()) as ProductFormValues
      const parsed = ProductForm.safeParse(body)
      if (!parsed.success)
        return c.html(
          <ProductFormPage staff={staffView(s)} values={body} errors={issuesOf(parsed.error)} />,
          422,
        )
      const outcome = createProduct(
        s.bdb,
        { staffId: s.staffId, label: s.email },
        parsed.data,
        deps.clock.now(),
      )
      if (outcome.kind !== 'saved') {
        return c.html(
          <ProductFormPage
            staff={staffView(s)}
            values={body}
            errors={['Another product of your brand already has this SKU.']}
          />,
          422,
        )
      }
      return c.redirect(notices.href(c, '/admin/products', `Product ${outcome.product.sku} saved`), 303)
    })
    .get('/products/:id{[0-9]+}', requireRole('catalogue.write'), (c) => {
      const s = c.get('staff')
      const p = findProduct(s.bdb, Number(c.req.param('id')))
      if (!p) return c.notFound()
      const values = {
        sku: p.sku,
        name: p.name,
        gtin: p.gtin ?? '',
        points: String(p.points),
        imageUrl: p.imageUrl ?? '',
        notes: p.notes ?? '',
      }
      return c.html(<ProductFormPage staff={staffView(s)} productId={p.id} values={values} />)
    })
    .post('/products/:id{[0-9]+}', requireRole('catalogue.write'), async (c) => {
      const s = c.get('staff')
      const id = Number(c.req.param('id'))
      const body = (await c.req.parseBody()) as ProductFormValues
      const parsed = ProductForm.safeParse(body)
      if (!parsed.success) {
        return c.html(
          <ProductFormPage
            staff={staffView(s)}
            productId={id}
            values={body}
            errors={issuesOf(parsed.error)}
          />,
          422,
        )
      }
      const outcome = updateProduct(
        s.bdb,
        { staffId: s.staffId, label: s.email },
        id,
        parsed.data,
        deps.clock.now(),
      )
      if (outcome.kind === 'not-found') return c.notFound()
      if (outcome.kind === 'sku-taken') {
        return c.html(
          <ProductFormPage
            staff={staffView(s)}
            productId={id}
            values={body}
            errors={['Another product of your brand already has this SKU.']}
          />,
          422,
        )
      }
      return c.redirect(notices.href(c, '/admin/products', `Product ${outcome.product.sku} saved`), 303)
    })
}
