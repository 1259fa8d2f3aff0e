/*
 * Red-black trees, intrusive (the node lives inside the caller's object)
 * and optionally augmented (each node caches a value computed from its
 * subtree, e.g. the largest free range below it).
 *
 * The tree does not know keys: the caller walks down to the place where
 * the new node belongs, links it there with rb_link_node() and then calls
 * rb_insert() to rebalance, the way Linux's rbtree is used:
 *
 *   struct rb_node **link = &root->node, *parent = NULL;
 *   while (*link) {
 *           parent = *link;
 *           link = key < key_of(parent) ? &parent->left : &parent->right;
 *   }
 *   rb_link_node(&obj->rb, parent, link);
 *   rb_insert(&obj->rb, root, NULL);
 *
 * Augmentation: the caller passes an `rb_augment_fn` that recomputes one
 * node's cached value from the node and its two children and returns true
 * if the value changed. The tree calls it wherever the shape of a subtree
 * changes (links, unlinks, rotations); a caller that changes a node's own
 * contribution in place (grows a range) calls rb_propagate(). Pass NULL
 * for a plain tree.
 *
 * Properties kept (checked by rb_check()):
 *   1. every node is red or black; the root is black;
 *   2. a red node has no red child;
 *   3. every path from a node down to a missing child has the same number
 *      of black nodes.
 * So the height is at most 2 log2(n + 1), and insert, erase, first, last
 * and a keyed lookup are O(log n); rb_next/rb_prev are O(1) amortised.
 *
 * No locking: the tree belongs to whoever holds the lock of its owner.
 */
#ifndef KERNEL_LIB_RBTREE_H
#define KERNEL_LIB_RBTREE_H

#include "kernel/compiler.h"
#include "kernel/types.h"

#define RB_RED          0
#define RB_BLACK        1

struct rb_node {
	struct rb_node *parent;
	struct rb_node *left;
	struct rb_node *right;
	unsigned long color;            /* RB_RED or RB_BLACK */
};

struct rb_root {
	struct rb_node *node;
};

#define RB_ROOT         ((struct rb_root){ NULL })

#define rb_entry(ptr, type, member)     container_of(ptr, type, member)
#define rb_entry_safe(ptr, type, member) \
	({ struct rb_node *__n = (ptr); __n ? rb_entry(__n, type, member) : NULL; })

/*
 * Recomputes the cached value of `node` from the node itself and its
 * children (which are already correct). Returns true if it changed.
 */
typedef bool (*rb_augment_fn)(struct rb_node *node);

static inline bool rb_empty(const struct rb_root *root)
{
	return root->node == NULL;
}

/*
 * Puts `node` (not in any tree) as a red leaf at `*link`, a NULL child
 * pointer of `parent` (or the root pointer, with `parent` NULL). The tree
 * is not balanced again until rb_insert().
 */
static inline void rb_link_node(struct rb_node *node, struct rb_node *parent,
				struct rb_node **link)
{
	node->parent = parent;
	node->left = node->right = NULL;
	node->color = RB_RED;
	*link = node;
}

/*
 * Finishes inserting `node`, linked by rb_link_node(): updates the cached
 * values from the node up (when `aug` is not NULL), then restores the
 * red-black properties with at most two rotations. O(log n).
 */
void rb_insert(struct rb_node *node, struct rb_root *root, rb_augment_fn aug);

/*
 * Removes `node` from the tree and rebalances it (at most three
 * rotations), keeping the cached values right. The node's own fields are
 * left undefined. O(log n).
 */
void rb_erase(struct rb_node *node, struct rb_root *root, rb_augment_fn aug);

/*
 * After the caller changed what `node` contributes to its cached value
 * (without moving it), recomputes the values from `node` up to the root,
 * stopping at the first ancestor whose value does not change.
 */
void rb_propagate(struct rb_node *node, rb_augment_fn aug);

/* The first (leftmost) / last (rightmost) node, or NULL for an empty tree. */
struct rb_node *rb_first(const struct rb_root *root);
struct rb_node *rb_last(const struct rb_root *root);

/* The node after / before `node` in order, or NULL. */
struct rb_node *rb_next(const struct rb_node *node);
struct rb_node *rb_prev(const struct rb_node *node);

/*
 * Checks the red-black properties and the parent links of the whole tree
 * (not the order of keys, which the tree does not know). Returns the
 * number of nodes, or -1 after printing one line naming `name` and the
 * first broken property. O(n) with recursion depth O(log n).
 */
long rb_check(const struct rb_root *root, const char *name);

#endif
