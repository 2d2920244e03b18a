import type { LocationKind } from '../domain/stock/stock.js';

export interface SkuView {
  sku: string;
  name: string;
  unitPrice: number;
  currency: string;
}

export interface LocationView {
  locationId: string;
  name: string;
  kind: LocationKind;
  lat: number;
  lon: number;
  handlingCostPerUnit: number;
  shippingCostPerKm: number;
  fixedCostPerShipment: number;
}
