/** A subcategory: the kinds of product in it and their list price range in whole dollars. */
export interface CatalogSubcategory {
  readonly name: string;
  readonly items: readonly string[];
  readonly minPrice: number;
  readonly maxPrice: number;
}

/** A category with its brands, the variants a product name ends with, and its subcategories. */
export interface CatalogCategory {
  readonly name: string;
  readonly brands: readonly string[];
  readonly variants: readonly string[];
  readonly subcategories: readonly CatalogSubcategory[];
}

const sub = (name: string, items: readonly string[], minPrice: number, maxPrice: number): CatalogSubcategory =>
  Object.freeze({ name, items: Object.freeze([...items]), minPrice, maxPrice });

/**
 * The product catalog products are drawn from. Brands are invented so that the data
 * names no real company; a few item names contain a double quote (screen sizes) on purpose.
 */
export const PRODUCT_CATALOG: readonly CatalogCategory[] = Object.freeze([
  {
    name: 'Electronics',
    brands: ['Voltix', 'Nimbus', 'Auralite', 'Quantra', 'Pixelon'],
    variants: ['Pro', 'Air', 'Max', 'SE', 'Plus'],
    subcategories: [
      sub('Laptops', ['Laptop 14"', 'Laptop 15.6"', 'Ultrabook', 'Chromebook', 'Gaming Laptop'], 399, 2499),
      sub('Smartphones', ['Smartphone', 'Phone 5G', 'Phone Mini'], 199, 1299),
      sub('Headphones', ['Wireless Earbuds', 'Over-Ear Headphones', 'Noise-Cancelling Headphones'], 29, 399),
      sub('Televisions', ['4K TV 55"', 'OLED TV 65"', 'Smart TV 43"'], 249, 2999),
      sub('Cameras', ['Mirrorless Camera', 'Action Camera', 'Instant Camera'], 79, 1899),
    ],
  },
  {
    name: 'Clothing',
    brands: ['Northpeak', 'Urban Thread', 'Coastline', 'Everly', 'Redwood & Co.'],
    variants: ['Black', 'Navy', 'Olive', 'Charcoal', 'Red'],
    subcategories: [
      sub('Shoes', ['Running Shoes', 'Leather Boots', 'Canvas Sneakers', 'Sandals'], 39, 189),
      sub('Jackets', ['Rain Jacket', 'Puffer Jacket', 'Denim Jacket'], 49, 249),
      sub('T-Shirts', ['Crew Neck Tee', 'V-Neck Tee', 'Graphic Tee'], 9, 39),
      sub('Jeans', ['Slim Jeans', 'Straight Jeans', 'Relaxed Jeans'], 29, 119),
      sub('Dresses', ['Wrap Dress', 'Maxi Dress', 'Shirt Dress'], 29, 159),
    ],
  },
  {
    name: 'Home & Kitchen',
    brands: ['Hearthstone', 'Kitchenly', 'Casa Verde', 'Brightside'],
    variants: ['Classic', 'Deluxe', 'Compact'],
    subcategories: [
      sub('Cookware', ['Nonstick Skillet', 'Dutch Oven', 'Saucepan Set'], 19, 299),
      sub('Appliances', ['Blender', 'Coffee Maker', 'Air Fryer', 'Toaster'], 29, 399),
      sub('Bedding', ['Cotton Sheet Set', 'Down Comforter', 'Memory Foam Pillow'], 19, 249),
      sub('Furniture', ['Bookshelf', 'Desk Chair', 'Coffee Table'], 59, 799),
    ],
  },
  {
    name: 'Sports & Outdoors',
    brands: ['Trailhead', 'Summit Gear', 'ProStride', 'Bluewater'],
    variants: ['Pro', 'Trail', 'Sport'],
    subcategories: [
      sub('Bikes', ['Road Bike', 'Mountain Bike', 'Kids Bike'], 149, 1999),
      sub('Camping', ['2-Person Tent', 'Sleeping Bag', 'Camp Stove'], 24, 399),
      sub('Fitness', ['Yoga Mat', 'Adjustable Dumbbells', 'Resistance Bands'], 9, 349),
    ],
  },
  {
    name: 'Books',
    brands: ['Lantern Press', 'Oakleaf Books', 'Meridian House'],
    variants: ['Paperback', 'Hardcover'],
    subcategories: [
      sub('Fiction', ['Mystery Novel', 'Science Fiction Novel', 'Romance Novel'], 8, 29),
      sub('Non-Fiction', ['Biography', 'History Book', 'Self-Help Book'], 10, 35),
      sub('Cookbooks', ['Baking Cookbook', 'Vegetarian Cookbook'], 15, 45),
      sub("Children's", ['Picture Book', 'Activity Book'], 5, 19),
    ],
  },
  {
    name: 'Grocery',
    brands: ['Golden Harvest', 'Morning Ritual', 'Green Valley'],
    variants: ['Original', 'Organic', 'Family Size'],
    subcategories: [
      sub('Coffee', ['Whole Bean Coffee 12oz', 'Ground Coffee 24oz', 'Cold Brew Pack'], 7, 24),
      sub('Snacks', ['Trail Mix', 'Kettle Chips', 'Granola Bars'], 2, 12),
      sub('Beverages', ['Sparkling Water 12-Pack', 'Green Tea 20ct', 'Orange Juice 52oz'], 3, 15),
    ],
  },
  {
    name: 'Beauty',
    brands: ['Lumière', 'Pure Petal', 'Velvet & Oak'],
    variants: ['Original', 'Sensitive', 'Night'],
    subcategories: [
      sub('Skincare', ['Moisturizer', 'Vitamin C Serum', 'Sunscreen SPF 50'], 8, 79),
      sub('Fragrance', ['Eau de Parfum 50ml', 'Body Mist'], 15, 129),
      sub('Makeup', ['Matte Lipstick', 'Mascara', 'Foundation'], 6, 49),
    ],
  },
  {
    name: 'Toys',
    brands: ['Brickwise', 'Playfield', 'Tiny Giants'],
    variants: ['Junior', 'Deluxe', 'Classic'],
    subcategories: [
      sub('Board Games', ['Strategy Board Game', 'Family Board Game'], 14, 59),
      sub('Puzzles', ['1000-Piece Puzzle', '3D Puzzle'], 9, 39),
      sub('Building Sets', ['Castle Building Set', 'Space Station Set'], 19, 149),
    ],
  },
].map((category) =>
  Object.freeze({
    ...category,
    brands: Object.freeze([...category.brands]),
    variants: Object.freeze([...category.variants]),
    subcategories: Object.freeze([...category.subcategories]),
  }),
));
