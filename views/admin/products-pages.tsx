import type { Product } from '../../src/products/product-store.ts'
import { AdminPage, CsrfField, FormErrors, type StaffView } from './admin-page.tsx'

export function ProductsPage(props: {
  staff: StaffView
  products: Product[]
  canEdit: boolean
  notice?: string
}) {
  return (
    <AdminPage staff={props.staff} title="Products" current="/admin/products">
      <h1>Products</h1>
      {props.notice ? <div class="notice">{props.notice}</div> : null}
      {props.canEdit ? (
        <p>
          <a class="button" href="/admin/products/new">
            New product
          </a>
        </p>
      ) : null}
      {props.products.length === 0 ? (
        <div class="empty">No products yet. Add one to start printing codes.</div>
      ) : (
        <table>
          <thead>
            <tr>
              <th>SKU</th>
              <th>Name</th>
              <th>GTIN</th>
              <th class="num">Points</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {props.products.map((p) => (
              <tr>
                <td class="mono">{p.sku}</td>
                <td>{p.name}</td>
                <td class="mono">{p.gtin ?? '—'}</td>
                <td class="num">{p.points}</td>
                <td>
                  {props.canEdit ? <a href={`/admin/products/${p.id}`}>Edit</a> : null}{' '}
                  {props.canEdit ? <a href={`/admin/batches/new?product=${p.id}`}>New batch</a> : null}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </AdminPage>
  )
}

export type ProductFormValues = Partial<
  Record<'sku' | 'name' | 'gtin' | 'points' | 'imageUrl' | 'notes', string>
>

export function ProductFormPage(props: {
  staff: StaffView
  productId?: number
  values: ProductFormValues
  errors?: string[]
}) {
  const v = props.values
  const action = props.productId ? `/admin/products/${props.productId}` : '/admin/products'
  return (
    <AdminPage
      staff={props.staff}
      title={props.productId ? 'Edit product' : 'New product'}
      current="/admin/products"
    >
      <h1>{props.productId ? 'Edit product' : 'New product'}</h1>
      <FormErrors errors={props.errors} />
      <form class="stack card" method="post" action={action}>
        <CsrfField token={props.staff.csrfToken} />
        <label>
          SKU (unique in your brand)
          <input name="sku" required maxlength={64} value={v.sku ?? ''} />
        </label>
        <label>
          Name
          <input name="name" required maxlength={200} value={v.name ?? ''} />
        </label>
        <label>
          GTIN (optional; 8, 12, 13 or 14 digits — needed for GS1 Digital Link batches)
          <input name="gtin" inputmode="numeric" maxlength={20} value={v.gtin ?? ''} />
        </label>
        <label>
          Points per scan-and-claim
          <input name="points" type="number" min={0} max={1000000} required value={v.points ?? '0'} />
        </label>
        <label>
          Image URL (optional)
          <input name="imageUrl" type="url" maxlength={2000} value={v.imageUrl ?? ''} />
        </label>
        <label>
          Notes (optional)
          <textarea name="notes" maxlength={2000} rows={3}>
            {v.notes ?? ''}
          </textarea>
        </label>
        <div>
          <button type="submit">Save product</button> <a href="/admin/products">Cancel</a>
        </div>
      </form>
    </AdminPage>
  )
}
