//! Cycles: strongly connected components of the impact graph (iterative Tarjan).

use itsm_core::CiId;

use crate::CmdbError;
use crate::index::{GraphIndex, NONE};

impl GraphIndex {
    /// Every cycle of the impact graph: its strongly connected components
    /// with more than one CI, or one CI with a relationship to itself.
    ///
    /// Each CI appears in at most one component. Components list their CIs
    /// in index order and come in the order of their first CI. A relationship
    /// whose impact travels both ways (`connects_to`) is a cycle of two.
    /// Iterative: a million-CI chain needs no deep stack.
    ///
    /// `relationship_types` limits the graph to those types; `None` for all.
    ///
    /// # Errors
    /// [`CmdbError::UnknownRelationshipType`] for an unknown type.
    pub fn strongly_connected_components(
        &self,
        relationship_types: Option<&[String]>,
    ) -> Result<Vec<Vec<CiId>>, CmdbError> {
        let follow = self.type_filter(relationship_types)?;
        let all = follow.iter().all(|&f| f);
        let n = self.len();
        // Bit sets small enough to stay in cache: an arc to a CI already
        // assigned to a component (the common case) costs no random read.
        let mut visited = vec![0u64; n.div_ceil(64)];
        let mut on_stack = vec![0u64; n.div_ceil(64)];
        let is = |bits: &[u64], v: u32| bits[(v >> 6) as usize] & (1 << (v & 63)) != 0;
        let flip = |bits: &mut [u64], v: u32| bits[(v >> 6) as usize] ^= 1 << (v & 63);
        // Discovery order, read only for CIs still on the stack.
        let mut order = vec![NONE; n];
        let mut stack: Vec<u32> = Vec::new();
        // The explicit call stack: the node, its next and end arc positions,
        // its order and its low link. Flat, no allocation per node.
        let mut call: Vec<Frame> = Vec::new();
        let mut next = 0u32;
        // The cyclic components, flat: members, and where each one starts.
        let mut members: Vec<u32> = Vec::new();
        let mut starts: Vec<usize> = Vec::new();
        let (offsets, arcs) = self.impact_csr();
        let frame = |v: u32, order: u32| Frame {
            node: v,
            next: offsets[v as usize],
            end: offsets[v as usize + 1],
            order,
            low: order,
        };
        for root in 0..n as u32 {
            if is(&visited, root) {
                continue;
            }
            flip(&mut visited, root);
            order[root as usize] = next;
            stack.push(root);
            flip(&mut on_stack, root);
            call.push(frame(root, next));
            next += 1;
            while let Some(top) = call.last_mut() {
                if top.next < top.end {
                    let arc = arcs[top.next as usize];
                    top.next += 1;
                    let (w, ty) = self.unpack(arc);
                    if !all && !follow[ty as usize] {
                        continue;
                    }
                    if !is(&visited, w) {
                        flip(&mut visited, w);
                        order[w as usize] = next;
                        stack.push(w);
                        flip(&mut on_stack, w);
                        call.push(frame(w, next));
                        next += 1;
                    } else if is(&on_stack, w) {
                        top.low = top.low.min(order[w as usize]);
                    }
                    continue;
                }
                let Frame {
                    node: v,
                    order: v_order,
                    low: v_low,
                    ..
                } = *top;
                call.pop();
                if let Some(parent) = call.last_mut() {
                    parent.low = parent.low.min(v_low);
                }
                if v_low != v_order {
                    continue;
                }
                if stack.last() == Some(&v) {
                    // A component of one CI (the common case): cyclic only
                    // with a relationship to itself.
                    stack.pop();
                    flip(&mut on_stack, v);
                    let self_loop = self.impact_arcs(v).iter().any(|&a| {
                        let (w, ty) = self.unpack(a);
                        w == v && follow[ty as usize]
                    });
                    if self_loop {
                        starts.push(members.len());
                        members.push(v);
                    }
                    continue;
                }
                let start = members.len();
                while let Some(w) = stack.pop() {
                    flip(&mut on_stack, w);
                    members.push(w);
                    if w == v {
                        break;
                    }
                }
                members[start..].sort_unstable();
                starts.push(start);
            }
        }
        let mut ranges: Vec<(usize, usize)> = starts
            .iter()
            .enumerate()
            .map(|(i, &a)| (a, starts.get(i + 1).copied().unwrap_or(members.len())))
            .collect();
        ranges.sort_unstable_by_key(|&(a, _)| members[a]);
        Ok(ranges
            .into_iter()
            .map(|(a, b)| members[a..b].iter().map(|&v| self.id(v)).collect())
            .collect())
    }

    /// Which relationship types a traversal follows, by type id.
    pub(crate) fn type_filter(
        &self,
        relationship_types: Option<&[String]>,
    ) -> Result<Vec<bool>, CmdbError> {
        let mut follow = vec![relationship_types.is_none(); self.type_count()];
        for name in relationship_types.unwrap_or_default() {
            let ty = self
                .type_id(name)
                .ok_or_else(|| CmdbError::UnknownRelationshipType { name: name.clone() })?;
            follow[ty as usize] = true;
        }
        Ok(follow)
    }
}

/// One frame of Tarjan's explicit call stack.
#[derive(Clone, Copy)]
struct Frame {
    node: u32,
    /// The position of the next arc to follow.
    next: u32,
    /// The end of the node's arcs.
    end: u32,
    order: u32,
    low: u32,
}
